from domain.privacy import mask_id_number, mask_phone


def test_masks_keep_first_six_and_last_four() -> None:
    assert mask_id_number("110101199003077777") == "110101********7777"
    assert mask_id_number("91310000MA1K000000") == "913100********0000"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_id_number(None) is None and mask_phone("") == ""
    assert mask_id_number("12345") == "*****"


def test_free_text_masks_only_resident_ids_with_a_valid_check_character() -> None:
    from domain.privacy import is_resident_id, mask_text

    assert is_resident_id("110101199003077774") and is_resident_id("11010519491231002X")
    assert not is_resident_id("110101199003077777")  # wrong check character
    text = "张三 110101199003077774 订单 110101199003077777 电话13800138000, x 11010519491231002x"
    assert mask_text(text) == (
        "张三 110101********7774 订单 110101199003077777 电话138****8000, x 110105********002x"
    )


def test_free_text_leaves_digests_and_tokens_alone() -> None:
    from domain.privacy import mask_text

    # A record's SHA-256 as CI saw it: "14262962742" inside hex is not a mobile number.
    digest = "32ec0a6e7b1d00000000000000000000000000d85c6c14262962742fe55ac0e92725"
    assert mask_text(digest) == digest
    assert mask_text("key-13800138000x") == "key-13800138000x"
    assert mask_text("联系13800138000。") == "联系138****8000。"
