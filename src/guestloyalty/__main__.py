from guestloyalty.console import main

main()
