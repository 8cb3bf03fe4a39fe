"""Rules on track and release titles (words, versions, places) and the studio/live classifier on them."""
