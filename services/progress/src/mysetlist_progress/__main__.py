from mysetlist_common.settings import get_settings
from mysetlist_common.web.service import serve
from mysetlist_progress.app import create_app

settings = get_settings()
serve(create_app(), settings.progress_host, settings.progress_port)
