from pmsync.cli.entry import main

main()
