-- 0.4 -> 0.5, windeals: the win model learns from deals too.  A customer is
-- decided (prio.win_outcome) by its last closed deal as by its activities,
-- so the row trigger state_closed fires when the deal facts or the implicit
-- deal change, not only the base stage; its C compares the outcomes before
-- and after.  Dropped here, it is created again, with the comments that
-- state the rule, from sql/install/91_win_probability_customer.sql.  0.4
-- has no deals: the outcomes it kept stay, but for customers whose quote
-- is an open deal, which the refold at the end of this update opens again.
DROP TRIGGER state_closed ON @extschema@.customer_state;
