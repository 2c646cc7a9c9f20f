"""The lines customer service writes by itself into a complaint's timeline and its staff's notifications, as codes
worded in the reader's language (core.messages); registered from FeedbackConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from core.messages import choice_wording, list_wording, system_message_register

# timeline (ComplaintEvent.message)
RECEIVED_BY = "complaint.received_by"
ASSIGNED_BY_RULE = "complaint.assigned_by_rule"
DEADLINES_PROVISIONAL = "complaint.deadlines_provisional"
DEADLINES_RECOMPUTED = "complaint.deadlines_recomputed"
ESCALATED = "complaint.escalated"
ESCALATED_NO_TARGET = "complaint.escalated_no_target"
FOLLOW_UP_CALL_NO_CONSENT = "complaint.follow_up_call_no_consent"
FOLLOW_UP_CALL_BACKFILLED = "complaint.follow_up_call_backfilled"
FOLLOW_UP_CALL_OPTED_OUT = "complaint.follow_up_call_opted_out"
FOLLOW_UP_SMS_SENT = "complaint.follow_up_sms_sent"
FOLLOW_UP_SMS_REFUSED = "complaint.follow_up_sms_refused"
RATED = "complaint.rated"
RATED_WITH_COMMENT = "complaint.rated_with_comment"
SUPERVISOR_CALLED = "complaint.supervisor_called"
APPEAL_CHANGED = "complaint.appeal_changed"
APPEAL_UPHELD = "complaint.appeal_upheld"
# notifications (Notification.message)
NEW_CASE = "notification.new_case"
NEW_IN_QUEUE = "notification.new_in_queue"
REOPENED = "notification.reopened"
LOW_RATING = "notification.low_rating"
ESCALATED_NOTICE = "notification.escalated"


def register() -> None:
    from feedback.complaints.models import Complaint, ComplaintEscalation

    def add(code, template, **wording):
        system_message_register(code, template, by="feedback", **wording)

    add(RECEIVED_BY, "%(channel)s", channel=choice_wording(Complaint.Channel))
    add(ASSIGNED_BY_RULE, _("按规则分派给 %(name)s"))
    add(
        DEADLINES_PROVISIONAL,
        _("暂定截止时间：%(years)s 年调休安排未发布，按法定节假日规则计算；日历更新后自动重新计算。"),
        years=list_wording,
    )
    add(DEADLINES_RECOMPUTED, _("节假日日历已更新，截止时间已重新计算：办结截止 %(due)s。"))
    breach = choice_wording(ComplaintEscalation.Breach)
    add(
        ESCALATED,
        _("投诉 #%(id)s（%(shop)s，%(category)s）%(breach)s，截止 %(due)s，已升级至 %(name)s"),
        breach=breach,
    )
    add(
        ESCALATED_NO_TARGET,
        _("投诉 #%(id)s（%(shop)s，%(category)s）%(breach)s，截止 %(due)s，无可升级的主管"),
        breach=breach,
    )
    add(FOLLOW_UP_CALL_NO_CONSENT, _("零售户未授权接收短信，请电话回访。"))
    add(FOLLOW_UP_CALL_BACKFILLED, _("补录的办结记录，请电话回访。"))
    add(FOLLOW_UP_CALL_OPTED_OUT, _("零售户已退订短信，请电话回访。"))
    add(FOLLOW_UP_SMS_SENT, _("满意度回访短信已发送。"))
    add(FOLLOW_UP_SMS_REFUSED, _("回访短信被拒收（%(error)s），请电话回访。"))
    add(RATED, _("%(rating)s 分"))
    add(RATED_WITH_COMMENT, _("%(rating)s 分：%(text)s"))
    add(SUPERVISOR_CALLED, _("主管回访：%(text)s"))
    add(APPEAL_CHANGED, _("调整为 %(tier)s 档（经另一位主管复核批准后生效）。理由：%(text)s"))
    add(APPEAL_UPHELD, _("维持 %(tier)s 档。理由：%(text)s"))
    add(NEW_CASE, _("新的%(category)s待处理：%(shop)s（#%(id)s）"))
    add(NEW_IN_QUEUE, _("%(unit)s 队列有新的%(category)s待派单（#%(id)s）"))
    add(REOPENED, _("投诉 #%(id)s 已重新打开：%(text)s"))
    add(ESCALATED_NOTICE, _("投诉 #%(id)s（%(shop)s，%(category)s）%(breach)s，截止 %(due)s"), breach=breach)
    add(LOW_RATING, _("投诉 #%(id)s 满意度 %(rating)s 分，请主管回访。"))
