from vitable_config.cli.main import entry

entry()
