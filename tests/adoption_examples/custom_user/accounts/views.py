from django.shortcuts import render

from .models import User


def team(request):
    return render(request, "accounts/team.html", {"users": User.objects.order_by("username")})
