"""guestloyalty: which hotel guests are about to stop coming back, what each is worth, and what to do."""

__version__ = "0.1.0"
