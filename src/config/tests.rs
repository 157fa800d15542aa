//! Unit tests of [`super`] (`src/config.rs`), kept beside it in a file of their
//! own so that the module reads as one idea.

/// docs/config.md's sections and the settings each lists: a section is
/// a `### ` heading, a setting a table row starting with its name.
fn documented() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let text = std::fs::read_to_string("docs/config.md").unwrap();
    let mut sections = std::collections::BTreeMap::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            current = heading.trim_matches('`').to_string();
            sections.entry(current.clone()).or_insert_with(std::collections::BTreeSet::new);
        } else if let Some(row) = line.strip_prefix("| `")
            && let Some(keys) = sections.get_mut(&current)
        {
            keys.insert(row.split('`').next().unwrap_or_default().to_string());
        }
    }
    sections
}

/// Catches the field names serde's derive hands `deserialize_struct`.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("only its fields were wanted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The settings of a config section, as its struct's derive names them.
fn fields<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    let mut found: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut found));
    found
}

#[test]
fn the_config_chapter_names_every_setting_and_no_other() {
    let set = |f: &[&str]| {
        f.iter().map(|s| s.to_string()).collect::<std::collections::BTreeSet<String>>()
    };
    let mut expected = std::collections::BTreeMap::new();
    for (section, keys) in [
        ("[practice]", fields::<super::Practice>()),
        ("[practice.translations.LANGUAGE]", fields::<super::PracticeText>()),
        ("[policy]", fields::<super::Policy>()),
        ("[ledger]", fields::<super::LedgerSettings>()),
        ("[payment_plans]", fields::<super::PaymentPlans>()),
        ("[input]", fields::<super::Input>()),
        ("[input.flags]", fields::<super::FlagCodes>()),
        ("[input.hold_codes]", &[][..]),
        ("[input.columns]", fields::<super::Columns>()),
        ("[vendor]", fields::<super::Vendor>()),
        ("[vendor.limits]", fields::<super::FieldLimits>()),
        ("[vendor.click2mail]", fields::<super::Click2MailOptions>()),
        ("[vendor.lob]", fields::<super::LobOptions>()),
        ("[vendor.postgrid]", fields::<super::PostGridOptions>()),
        ("[vendor.postage]", fields::<super::Postage>()),
        ("[mailing]", fields::<super::Mailing>()),
        ("[letters]", fields::<super::Letters>()),
        ("[language_access]", fields::<super::LanguageAccess>()),
        ("[trials.NAME]", fields::<super::Trial>()),
        ("[print]", fields::<super::Print>()),
        ("[pdf]", fields::<super::Pdf>()),
        ("[lint]", fields::<super::LintConfig>()),
    ] {
        expected.insert(section.to_string(), set(keys));
    }
    // The top level's own settings: those that are not a section.
    let sections: Vec<String> = expected
        .keys()
        .map(|s| s.trim_matches(['[', ']']).trim_end_matches(".NAME").to_string())
        .collect();
    let top =
        fields::<super::Config>().iter().filter(|k| !sections.contains(&k.to_string())).copied();
    expected.insert("(top level)".to_string(), set(&top.collect::<Vec<_>>()));
    let documented = documented();
    for (section, keys) in &expected {
        let listed = documented
            .get(section)
            .unwrap_or_else(|| panic!("docs/config.md has no section {section}"));
        let missing: Vec<_> = keys.difference(listed).collect();
        let unknown: Vec<_> = listed.difference(keys).collect();
        assert!(missing.is_empty(), "docs/config.md's {section} does not explain {missing:?}");
        assert!(
            unknown.is_empty(),
            "docs/config.md's {section} names {unknown:?}, which the config does not have"
        );
    }
    let extra: Vec<_> = documented.keys().filter(|s| !expected.contains_key(*s)).collect();
    assert!(extra.is_empty(), "docs/config.md has sections the config does not: {extra:?}");
}

#[test]
fn names_in_capitals_are_printed_in_title_case_with_the_usual_exceptions() {
    let print = |text| super::NameCase::TitleCaseAllCaps.print(text);
    assert_eq!(print("JOSEPH WILLIAMS"), "Joseph Williams");
    assert_eq!(print("ANNE MCDONALD-O'BRIEN III"), "Anne McDonald-O'Brien III");
    assert_eq!(print("1200 NE WILLOW CREEK RD, APT 4B"), "1200 NE Willow Creek Rd, Apt 4B");
    assert_eq!(print("PO BOX 4471"), "PO Box 4471");
    assert_eq!(
        print("Joseph van der BERG"),
        "Joseph van der BERG",
        "written with small letters: as written"
    );
    assert_eq!(super::NameCase::AsWritten.print("JOSEPH WILLIAMS"), "JOSEPH WILLIAMS");
}

#[test]
fn an_aging_reports_headers_say_their_days() {
    let days = super::days_of;
    assert_eq!(days("0-30"), Some((0, Some(30))));
    assert_eq!(days("31 - 60 Days"), Some((31, Some(60))));
    assert_eq!(days("> 90"), Some((91, None)));
    assert_eq!(days("90+"), Some((90, None)));
    assert_eq!(days("Over 120"), Some((121, None)));
    assert_eq!(days("Current"), Some((0, Some(30))));
    assert_eq!(days("Older"), None);
    assert_eq!(days("60-31"), None);
}

fn practice(address: &[&str]) -> super::Practice {
    let text = std::fs::read_to_string("sample-data/kindly.toml").unwrap();
    let mut config: super::Config = toml::from_str(&text).unwrap();
    config.practice.address = address.iter().map(|l| l.to_string()).collect();
    config.practice
}

#[test]
fn every_code_meaning_is_written_in_the_mapping_as_holds_csv_names_it() {
    for meaning in super::CodeMeaning::ALL {
        let text = format!("{:?} = {:?}", "X", meaning.code());
        let read: std::collections::BTreeMap<String, super::CodeMeaning> =
            toml::from_str(&text).unwrap();
        assert_eq!(read["X"], meaning, "{text}");
    }
    assert_eq!(super::CodeMeaning::guess("Pmt Plan"), Some(super::CodeMeaning::PaymentPlan));
    assert_eq!(super::CodeMeaning::guess("PP"), Some(super::CodeMeaning::PaymentPlan));
}

#[test]
fn the_return_address_is_read_as_vendor_fields() {
    let from = practice(&["1200 Willow Creek Road, Suite 300", "Springfield, OR 97477"])
        .return_address()
        .unwrap();
    assert_eq!(from.street, ["1200 Willow Creek Road, Suite 300"]);
    assert_eq!(
        (from.city.as_str(), from.state.as_str(), from.zip.as_str()),
        ("Springfield", "OR", "97477")
    );
    for bad in [
        &["Springfield OR 97477"][..],
        &["1 Main St", "Springfield, Oregon 97477"],
        &["Springfield, OR 97477"],
    ] {
        let e = practice(bad).return_address().unwrap_err();
        assert!(e.contains("City, ST 12345"), "{e}");
    }
}
