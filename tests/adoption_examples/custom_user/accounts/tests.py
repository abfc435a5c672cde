from django.contrib.auth import get_user_model
from django.test import TestCase


class TeamTests(TestCase):
    def test_team_page_counts_members_of_the_custom_user_model(self):
        get_user_model().objects.create_user("ada", team="engines")
        response = self.client.get("/")
        self.assertContains(response, "1 member")
        self.assertEqual(get_user_model()._meta.label, "accounts.User")
