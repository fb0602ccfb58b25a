from guestloyalty.cli import main

main()
