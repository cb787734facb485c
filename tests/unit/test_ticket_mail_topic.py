"""The outbox's index of unsent ticket mails names the ticket mail's topic in its predicate."""

from kassa.app.mail_jobs import TICKETS_EMAIL
from kassa.store.tables import TICKET_MAIL_TOPIC, outbox


def test_the_index_of_unsent_ticket_mail_names_the_topic_the_app_sends() -> None:
    assert TICKETS_EMAIL == TICKET_MAIL_TOPIC
    (index,) = [i for i in outbox.indexes if i.name == "ix_outbox_unsent_ticket_mail"]
    assert f"topic = '{TICKETS_EMAIL}'" in str(index.dialect_options["postgresql"]["where"])
