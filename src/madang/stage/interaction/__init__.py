"""Live interaction of a session: questions from the audience and polls.

``services.py`` writes (permission checks, rate limits, events), ``queries.py`` reads and shapes
the data clients get, ``handlers.py`` holds the websocket topics and commands, ``views.py`` the
audience page, the hall's kiosk screen and the moderator console.
"""
