from purenn.cli import run

run()
