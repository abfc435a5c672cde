from django.db import connection
from django.test import TestCase

from .models import Question


class IndexTests(TestCase):
    def test_index_lists_questions(self):
        Question.objects.create(question_text="Tabs or spaces?")
        response = self.client.get("/")
        self.assertContains(response, "Tabs or spaces?")

    def test_the_database_waits_for_a_lock_as_long_as_the_settings_ask(self):
        self.assertEqual(connection.settings_dict["OPTIONS"]["timeout"], 30)
