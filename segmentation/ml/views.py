"""The cluster profiles page (supervisors)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from segmentation.ml.selectors import cluster_profiles_for


@login_required
@require_GET
def cluster_profiles_view(request):
    """The clusters of the latest finished run, for supervisors; the table itself is the include
    includes/cluster_profiles.html, so other pages can embed it."""
    if not request.user.has_perm("segmentation.view_clusterprofile"):
        raise PermissionDenied
    run, profiles = cluster_profiles_for(user=request.user)
    context = {"cluster_run": run, "cluster_profiles": profiles}
    return render(request, "segmentation/cluster_profiles.html", context)
