"""The web page: plain HTML, CSS and JavaScript served from the package, no build step.

`/` and `/artists/{slug}` serve the same document; the script reads the path and shows the search or
the artist view. Static files are looked up by name in one folder, never by a path the client builds.
"""

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).parents[1] / "static"  # the package's static folder
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".html": "text/html"}

router = APIRouter(include_in_schema=False)


def _page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/")
async def home() -> FileResponse:
    return _page()


@router.get("/artists/{slug}")
async def artist_page(slug: str) -> FileResponse:
    return _page()


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in TYPES or not path.is_file():
        raise HTTPException(404, "no such file")
    # no-cache + the ETag Starlette sets: edits show up at once, unchanged files cost a 304
    return FileResponse(path, media_type=TYPES[path.suffix], headers={"Cache-Control": "no-cache"})
