-- Changing an account's e-mail: the new address waits on a single-use link sent to it.
ALTER TABLE platform.account_tokens ADD COLUMN new_email text;
ALTER TABLE platform.account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE platform.account_tokens ADD CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('confirm', 'reset', 'email'));
