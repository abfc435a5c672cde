from django.shortcuts import render

from .models import Item

ROWS = 20


def page(request):
    """One ORM query of ROWS rows, rendered through a template."""
    items = Item.objects.order_by("id")[:ROWS]
    return render(request, "bench_page/items.html", {"items": items})
