from secloop.cli.main import run

run()
