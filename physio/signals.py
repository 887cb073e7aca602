"""What physio announces for the apps above it to keep.

Staff time is counted by the therapists app (its PageView), which sits above physio: the
physiotherapy pages cannot write it themselves, so they send `staff_page_viewed` and the
therapists app records the view (connected in TherapistsConfig.ready()). The signal is sent
synchronously, inside the request, exactly where the view used to be written."""

from __future__ import annotations

from django.dispatch import Signal

# Keyword arguments: staff (User), participant (User, or None for a list), page (str).
staff_page_viewed = Signal()
