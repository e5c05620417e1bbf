from pmsync.cli.app import main

main()
