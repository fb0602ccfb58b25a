"""guestloyalty: which hotel guests will stop coming back, what each is worth, what to do."""

__version__ = "0.1.0"
