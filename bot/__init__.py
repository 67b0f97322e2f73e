"""canipost: answers public servants' question "can I post this?", with citations."""

__version__ = "0.1.0"
