from django.urls import path

from users.twofactor import views

app_name = "twofactor"
urlpatterns = [
    path("", views.setup_view, name="setup"),
    path("verify/", views.verify_view, name="verify"),
    path("recovery-codes/", views.recovery_codes_view, name="recovery-codes"),
]
