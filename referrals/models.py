"""Referral records (built by the referrals issue)."""
