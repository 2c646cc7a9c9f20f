"""Satisfaction surveys: questionnaires, sampling by strata, invitations through campaigns, answers, indices."""
