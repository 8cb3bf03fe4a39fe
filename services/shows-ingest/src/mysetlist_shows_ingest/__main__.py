from mysetlist_common.settings import get_settings
from mysetlist_common.web.service import serve
from mysetlist_shows_ingest.app import create_app

settings = get_settings()
serve(create_app(), settings.shows_ingest_host, settings.shows_ingest_port)
