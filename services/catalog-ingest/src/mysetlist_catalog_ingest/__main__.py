from mysetlist_catalog_ingest.app import create_app
from mysetlist_common.service import serve
from mysetlist_common.settings import get_settings

settings = get_settings()
serve(create_app(), settings.catalog_ingest_host, settings.catalog_ingest_port)
