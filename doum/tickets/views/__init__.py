"""Web pages of the tickets app, one module per area.

lists.py     views (queues), the ticket list, counts, bulk actions, saved views
ticket.py    the ticket page: conversation, reply, side panel, history
create.py    a new ticket on a customer's behalf (incl. a logged phone call)
settings.py  admin pages: custom fields, tags
"""
