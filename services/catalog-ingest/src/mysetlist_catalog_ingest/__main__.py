from mysetlist_catalog_ingest.app import create_app
from mysetlist_common.settings import get_settings
from mysetlist_common.web.service import serve

settings = get_settings()
serve(create_app(), settings.catalog_ingest_host, settings.catalog_ingest_port)
