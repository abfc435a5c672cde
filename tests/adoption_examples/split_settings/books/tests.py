from django.db import connection
from django.test import TestCase

from .models import Book


class ShelfTests(TestCase):
    def test_shelf_lists_books_and_says_which_site_answered(self):
        Book.objects.create(title="The Twelve-Factor App")
        response = self.client.get("/")
        self.assertContains(response, "The Twelve-Factor App")
        self.assertEqual(response["X-Bookshelf"], "yes")

    def test_each_request_runs_in_a_transaction_as_the_settings_ask(self):
        self.assertIs(connection.settings_dict["ATOMIC_REQUESTS"], True)
