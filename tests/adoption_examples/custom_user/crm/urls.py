from django.contrib import admin
from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.team, name="team"),
    path("admin/", admin.site.urls),
]
