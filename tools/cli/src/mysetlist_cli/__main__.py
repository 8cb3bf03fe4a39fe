from mysetlist_cli.main import app

app(prog_name="mysetlist")
