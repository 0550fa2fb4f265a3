# Ronda console — English. Keys match locales/id.ftl one for one (a test checks).

skip-to-content = Skip to content
nav-label = Main
nav-queue = Queue
nav-search = Search
language = Language
sign-out = Sign out

role-admin = Admin
role-supervisor = Supervisor
role-analyst = Analyst
role-intake = Intake
role-police = Police
role-platform = Platform

login-title = Sign in
login-username = Username
login-password = Password
login-submit = Sign in
login-refused = Wrong username or password.
login-locked = Too many wrong passwords: this account is locked until { $until }.
login-throttled = Too many sign-in attempts from this address. Try again in { $seconds } seconds.

account-title = Your account
account-role = Role
account-platform = Platform
account-unit = Unit
account-portal-elsewhere = The team's pages are for the ministry's staff. Your portal opens from your organisation's address.

password-title = Change password
password-must-change = Choose your own password before you continue.
password-current = Current password
password-new = New password
password-repeat = New password again
password-hint = At least 12 characters. A phrase of several words is easy to remember and hard to guess.
password-submit = Change password
password-mismatch = The two new passwords differ.
password-wrong-current = The current password is not right.
password-too-short = The new password is too short (at least 12 characters).
password-too-long = The new password is too long (at most 256 characters).
password-same = The new password must differ from the current one.

error-back = Back to the start
error-not-found = Not found
error-forbidden = This page is not for your role
error-csrf = The form has expired. Reload the page and try again.
error-form = The form could not be read.
error-conflict = Refused:
error-transition = The case's status does not allow this:
error-invalid = A value was refused
error-busy = The database is busy. Try again in a moment.
error-internal = Something went wrong. It has been logged.

queue-title = Verification queue
queue-count = { $n ->
    [one] { $n } case waiting
   *[other] { $n } cases waiting
}
queue-urgent = { $n } urgent
queue-child-safety = { $n } child safety
queue-held = { $n } held
queue-start = Start reviewing
queue-keys = Keys: j and k move through the list, Enter opens the case.
queue-empty = No case is waiting.
queue-empty-now = There is no case left to review with these filters.
filter-label = Filters
filter-any = Any
filter-apply = Filter
filter-unknown = Unknown value for { $field }: that filter is ignored.
online-title = Signed in now
online-none = Nobody else is signed in.
online-holds = holds

case-title = Case #{ $id }
case-status = Status
case-priority = Priority
case-category = Category
case-platform = Platform
case-source = Source
case-target = Target
case-reports = Reports
case-first-reported = First reported
case-last-reported = Last reported
case-excerpt = Text
case-detection = Detection
case-actor = Actor
case-recreation = re-creation
child-safety = Child safety
text-veiled = Hidden (child safety)
text-veiled-long = The text of this child-safety case is hidden.
text-show = Show the text (recorded in the audit log)

claim-title = Claim
claim-none = Nobody holds this case.
claim-yours = You hold this case until { $until }.
claim-other = { $name } holds this case until { $until }.
claim-button = Claim
release-button = Release

decision-title = Decision
decision-category-keep = Keep the case's category
decision-category-unknown = Unknown category.
decision-basis = Legal basis
decision-basis-choose = Choose a legal basis
decision-basis-hint = A confirmation cites the legal basis of the takedown notice; a rejection needs none.
decision-note = Note
decision-confirm = Confirm
decision-confirm-next = Confirm & next
decision-reject = Reject
decision-recorded = Decision recorded: the case is now { $status }.
decision-basis-required = A confirmation needs a legal basis.
decision-basis-unknown = That legal basis is not in the configured list.
decision-note-too-long = The note is too long (at most 4000 characters).
decision-child-safety = Child-safety case:

recreation-title = Re-created account
recreation-of = Re-creates { $account }
recreation-of-taken-down = Re-creates { $account }, taken down on { $date } under { $basis }
recreation-evidence = Evidence

reports-title = Reports
reports-more = Only the first { $n } reports are shown.
report-claimed = reported as { $category }
report-target = Target as reported
report-url = Address
report-description = Description
report-media = Media (PDQ)
report-content-removed = Content removed under the retention policy.
highlight-rule = rule { $rule } ({ $category })
highlight-identifier = identifier { $kind }: { $value }
highlight-minor = mention of a minor

identifiers-title = Identifiers
identifier-kind = Kind
identifier-value = Value
identifier-phone = Phone (E.164)
identifier-bank_account = Bank account
identifier-ewallet = E-wallet
identifier-url = Address
identifier-telegram = Telegram
identifier-email = E-mail
identifier-handle = Account
identifier-other = Other

matches-title = Hash-bank matches
match-bank = Bank
match-distance = Distance

notices-title = Takedown notices
notice-heading = Notice #{ $id } to { $platform }
notice-status = Status
notice-deadline = Deadline
notice-status-sent = sent
notice-status-acknowledged = acknowledged
notice-status-removal_claimed = removal claimed
notice-status-refused = refused
notice-status-disputed = disputed
notice-status-still_online = still online
notice-status-removed = removed
notice-status-withdrawn = withdrawn
notice-escalation = Escalation
notice-response = Platform's answer
escalation-none = none yet
escalation-warning_1 = warning 1
escalation-warning_2 = warning 2
escalation-warning_3 = warning 3
escalation-blocking_recommended = access blocking recommended

timeline-title = Timeline

category-prostitution = Prostitution
category-pornography = Pornography
category-child_exploitation = Child exploitation
category-gambling = Gambling
category-other = Other

priority-low = Low
priority-normal = Normal
priority-high = High
priority-urgent = Urgent

source-patrol = Patrol
source-police = Police
source-public = Public
source-platform = Platform

status-new = new
status-in_review = in review
status-awaiting_approval = awaiting approval
status-confirmed = confirmed
status-rejected = rejected
status-notice_sent = notice sent
status-acknowledged = acknowledged
status-removal_claimed = removal claimed
status-removed = removed
status-still_online = still online
status-escalated = escalated
status-disputed = disputed
status-closed = closed

child-safety-bank_match = hash-bank match
child-safety-confirmation = confirmed by an analyst
child-safety-police_report = reported by the police
child-safety-claim = reported as child exploitation
child-safety-minor_signal = the text mentions a minor

nav-approvals = Approvals
approvals-title = Confirmations awaiting approval
approvals-empty = No confirmation is waiting for approval.
approval-approve = Approve
approval-send-back = Send back
approval-reason = Reason for sending back
approval-reason-required = Say why the confirmation goes back.
approval-approved = Approved: the notice is issued.
approval-sent-back = Sent back for review.
approval-confirmed-by = Confirmed by

actor-title = Actor #{ $id }
actor-graph = { $n } accounts linked by { $edges } pieces of evidence
actor-bulk-results = Bulk decision
actor-since = Known since { $date }
actor-merged = merged from
actor-accounts = Accounts
actor-account = Account
actor-signal = Signal
actor-with = Shared with
actor-cases = Cases
actor-bulk-title = One decision for its { $n } open cases
actor-confirm-all = Confirm all
actor-reject-all = Reject all
account-active = active
account-taken_down = taken down
nav-notices = Notices
notices-empty = No notice yet.
notice-case = Case
notice-overdue = overdue
search-title = Search
search-label = URL, account, phone number or PDQ hash
search-submit = Search
search-hint = A phone number matches in any written form (0812…, +62 812…); an account also finds its look-alikes.
search-cases = { $n } cases
search-hashes = { $n } bank hashes within distance 64
countdown-left = { $time } left
countdown-overdue = overdue by { $time }
