from django.shortcuts import render

from .models import Book


def shelf(request):
    return render(request, "books/shelf.html", {"books": Book.objects.order_by("title")})
