from mysetlist_common.settings import get_settings
from mysetlist_common.web.service import serve
from mysetlist_gateway.app import create_app

settings = get_settings()
serve(create_app(), settings.gateway_host, settings.gateway_port)
