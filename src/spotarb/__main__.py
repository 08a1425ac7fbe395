from spotarb.cli import main

main()
