from domain.privacy import mask_id_number, mask_phone


def test_masks_keep_first_six_and_last_four() -> None:
    assert mask_id_number("110101199003077777") == "110101********7777"
    assert mask_id_number("91310000MA1K000000") == "913100********0000"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_id_number(None) is None and mask_phone("") == ""
    assert mask_id_number("12345") == "*****"
