from purenn.cli import run

if __name__ == "__main__":  # importing this module (tools do) must not run the CLI
    run()
