"""Cities the synthetic venues are placed in (real places, fictional venues)."""

from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    name: str
    state_name: str
    state_code: str
    country_name: str
    country_code: str
    timezone: str
    latitude: float
    longitude: float
    market: str
    market_id: str


_US = "United States Of America"
CITIES: tuple[City, ...] = (
    City("New York", "New York", "NY", _US, "US", "America/New_York", 40.7505, -73.9934, "New York", "35"),
    City(
        "Buffalo",
        "New York",
        "NY",
        _US,
        "US",
        "America/New_York",
        42.8907,
        -78.8759,
        "Upstate New York",
        "44",
    ),
    City(
        "Los Angeles",
        "California",
        "CA",
        _US,
        "US",
        "America/Los_Angeles",
        34.0430,
        -118.2673,
        "Los Angeles",
        "27",
    ),
    City(
        "San Francisco",
        "California",
        "CA",
        _US,
        "US",
        "America/Los_Angeles",
        37.7840,
        -122.4330,
        "N. California",
        "41",
    ),
    City("Chicago", "Illinois", "IL", _US, "US", "America/Chicago", 41.8807, -87.6742, "Chicago", "3"),
    City("Austin", "Texas", "TX", _US, "US", "America/Chicago", 30.2654, -97.7474, "Texas", "22"),
    City("Nashville", "Tennessee", "TN", _US, "US", "America/Chicago", 36.1592, -86.7785, "Tennessee", "30"),
    City("Denver", "Colorado", "CO", _US, "US", "America/Denver", 39.7487, -105.0077, "Rocky Mountain", "6"),
    City(
        "Seattle",
        "Washington",
        "WA",
        _US,
        "US",
        "America/Los_Angeles",
        47.6221,
        -122.3540,
        "Pacific NW",
        "42",
    ),
    City("Atlanta", "Georgia", "GA", _US, "US", "America/New_York", 33.7573, -84.3963, "Georgia", "10"),
    City(
        "Portland", "Oregon", "OR", _US, "US", "America/Los_Angeles", 45.5316, -122.6668, "Pacific NW", "42"
    ),
    City("Portland", "Maine", "ME", _US, "US", "America/New_York", 43.6615, -70.2553, "New England", "11"),
    City("Toronto", "Ontario", "ON", "Canada", "CA", "America/Toronto", 43.6435, -79.3791, "Ontario", "102"),
    City("Montréal", "Quebec", "QC", "Canada", "CA", "America/Toronto", 45.4961, -73.5693, "Quebec", "103"),
    City("London", "", "", "Great Britain", "GB", "Europe/London", 51.5030, 0.0032, "London", "202"),
    City("Manchester", "", "", "Great Britain", "GB", "Europe/London", 53.4881, -2.2446, "North West", "203"),
    City("Glasgow", "", "", "Great Britain", "GB", "Europe/London", 55.8609, -4.2860, "Scotland", "204"),
    City("Dublin", "", "", "Ireland", "IE", "Europe/Dublin", 53.3475, -6.2285, "Ireland", "208"),
    City("Berlin", "", "", "Germany", "DE", "Europe/Berlin", 52.5079, 13.4432, "Berlin", "210"),
    City("München", "", "", "Germany", "DE", "Europe/Berlin", 48.1755, 11.5518, "Bavaria", "211"),
    City("Köln", "", "", "Germany", "DE", "Europe/Berlin", 50.9384, 6.9830, "NRW", "212"),
    City("Zürich", "", "", "Switzerland", "CH", "Europe/Zurich", 47.4113, 8.5519, "Switzerland", "213"),
    City("Paris", "", "", "France", "FR", "Europe/Paris", 48.8385, 2.3786, "Paris", "214"),
    City("Amsterdam", "", "", "Netherlands", "NL", "Europe/Amsterdam", 52.3124, 4.9443, "Netherlands", "215"),
    City("Malmö", "", "", "Sweden", "SE", "Europe/Stockholm", 55.5650, 12.9893, "Sweden", "216"),
    City("Stockholm", "", "", "Sweden", "SE", "Europe/Stockholm", 59.2936, 18.0836, "Sweden", "216"),
    City("Oslo", "", "", "Norway", "NO", "Europe/Oslo", 59.9035, 10.6245, "Norway", "217"),
    City("Reykjavík", "", "", "Iceland", "IS", "Atlantic/Reykjavik", 64.1502, -21.9326, "Iceland", "218"),
    City("Kraków", "", "", "Poland", "PL", "Europe/Warsaw", 50.0676, 19.9914, "Poland", "219"),
    City("Praha", "", "", "Czech Republic", "CZ", "Europe/Prague", 50.1047, 14.4930, "Czech Republic", "220"),
    City("Madrid", "", "", "Spain", "ES", "Europe/Madrid", 40.4240, -3.6716, "Spain", "221"),
    City("São Paulo", "", "", "Brazil", "BR", "America/Sao_Paulo", -23.5273, -46.6780, "Brazil", "301"),
    City(
        "Ciudad de México", "", "", "Mexico", "MX", "America/Mexico_City", 19.4053, -99.0971, "Mexico", "302"
    ),
    City(
        "Sydney",
        "New South Wales",
        "NSW",
        "Australia",
        "AU",
        "Australia/Sydney",
        -33.8474,
        151.0634,
        "NSW",
        "401",
    ),
    City(
        "Melbourne",
        "Victoria",
        "VIC",
        "Australia",
        "AU",
        "Australia/Melbourne",
        -37.8216,
        144.9785,
        "Victoria",
        "402",
    ),
    City("Tokyo", "", "", "Japan", "JP", "Asia/Tokyo", 35.7056, 139.7519, "Japan", "501"),
)
