from roomtemp.cli import main

main()
