from django.test import TestCase

from .models import Question


class IndexTests(TestCase):
    def test_index_lists_questions(self):
        Question.objects.create(question_text="Tabs or spaces?")
        response = self.client.get("/")
        self.assertContains(response, "Tabs or spaces?")
