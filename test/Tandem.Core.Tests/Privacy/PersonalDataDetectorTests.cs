using Tandem.Privacy;
using Xunit;

namespace Tandem.Core.Tests.Privacy;

/// <summary>
/// Every kind with positive and negative examples and the exact masked text. Cases marked "was detector" come from
/// the former Routing/SensitiveDataDetectorTests, "was redactor" from the former Costs/RedactorTests; they keep
/// their expectations. Test numbers: Visa 4111 1111 1111 1111, Mastercard 5500 0000 0000 0004 and American Express
/// 3782 822463 10005 are the issuers' published test card numbers; GB82 WEST…, DE89 3704…, NL91 ABNA… and
/// NO93 8601… are the examples of the ISO 13616 registry (also on Wikipedia's IBAN page); 078-05-1120 is the
/// "Woolworth" SSN the SSA voided; AKIAIOSFODNN7EXAMPLE is AWS's documented example key id; 555-01xx and
/// 020 7946 0xxx are ranges reserved for fiction (NANPA, Ofcom).
/// </summary>
public sealed class PersonalDataDetectorTests
{
    private static readonly PersonalDataDetector Detector = new([new("employee_id", @"\bEMP-\d{6}\b")]);

    [Theory]
    [InlineData("write to jane.doe+work@example.co.uk please", "write to [email] please", "email")] // was detector
    [InlineData("write to jane.doe+news@mail.example.com today", "write to [email] today", "email")] // was redactor
    [InlineData("Contact: ops_team@sub-domain.example.org.", "Contact: [email].", "email")]
    [InlineData("<bob@example.com>", "<[email]>", "email")]
    [InlineData("key sk-proj-abcdefghijklmnop1234", "key [secret]", "secret")] // was redactor
    [InlineData("token ghp_16C7e42F292c6912E7710c838347Ae178B4a here", "token [secret] here", "secret")]
    [InlineData("id AKIAIOSFODNN7EXAMPLE.", "id [secret].", "secret")]
    [InlineData("bot xoxb-123456789012-abcdefghijkl", "bot [secret]", "secret")]
    [InlineData("IBAN GB82 WEST 1234 5698 7654 32", "IBAN [iban]", "iban")] // was detector
    [InlineData("iban DE89370400440532013000", "iban [iban]", "iban")] // was detector
    [InlineData("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [iban] please", "iban")] // was redactor
    [InlineData("pay DE89 3704 0044 0532 0130 00 EUR 12 now", "pay [iban] EUR 12 now", "iban")]
    [InlineData("to NL91ABNA0417164300, thanks", "to [iban], thanks", "iban")]
    [InlineData("Norway: NO93 8601 1117 947", "Norway: [iban]", "iban")]
    [InlineData("card 4111 1111 1111 1111 exp 12/29", "card [card] exp 12/29", "card")] // was detector
    [InlineData("card 5500-0000-0000-0004", "card [card]", "card")] // was detector
    [InlineData("card 4111-1111-1111-1111 expires", "card [card] expires", "card")] // was redactor
    [InlineData("card 5500 0000 0000 0004.", "card [card].", "card")] // was redactor
    [InlineData("amex 3782 822463 10005 ok", "amex [card] ok", "card")]
    [InlineData("card 4111 1111 1111 1111 12/29", "card [card] 12/29", "card")]
    [InlineData("4111111111111111", "[card]", "card")]
    [InlineData("ssn 123-45-6789", "ssn [ssn]", "ssn")] // was redactor
    [InlineData("SSN: 078-05-1120.", "SSN: [ssn].", "ssn")]
    [InlineData("from 192.168.10.4", "from [ip]", "ip")] // was redactor
    [InlineData("connect to 10.0.0.1:8080 now", "connect to [ip]:8080 now", "ip")]
    [InlineData("dns (8.8.8.8)", "dns ([ip])", "ip")]
    [InlineData("call me on +44 20 7946 0958", "call me on [phone]", "phone")] // was detector
    [InlineData("my number is (415) 555-0132", "my number is [phone]", "phone")] // was detector
    [InlineData("call +1 (415) 555-0132 now", "call [phone] now", "phone")] // was redactor
    [InlineData("office +44 (0)20 7946 0958", "office [phone]", "phone")]
    [InlineData("ring 555-0132 tonight", "ring [phone] tonight", "phone")]
    [InlineData("Tel. 01.23.45.67.89", "Tel. [phone]", "phone")]
    [InlineData("mobile 07700900123", "mobile [phone]", "phone")]
    [InlineData("Tel.+49 170 1234567.", "Tel.[phone].", "phone")]
    [InlineData("call +33 1 23 45 67 89 or 555-0132", "call [phone] or [phone]", "phone")]
    [InlineData("+44 20 7946 0958 2024-05-01", "[phone] 2024-05-01", "phone")]
    [InlineData("ticket for EMP-123456", "ticket for [employee_id]", "employee_id")] // was detector
    public void Mask_EachKind_ReplacesExactlyTheValue(string input, string expected, string kind)
    {
        Assert.Equal(expected, Detector.Mask(input));
        Assert.Equal([kind], Detector.Detect(input).ToList().Select(k => k.Name));
        Assert.True(Detector.ContainsAny(input, Detector.KindsOf([kind])));
        Assert.True(Detector.ContainsAny(input, Detector.KindsOf([PersonalDataDetector.Any])));
    }

    [Theory]
    [InlineData("email me at jane at example dot com", "email")] // was detector
    [InlineData("the @mention and user@localhost", "email")]
    [InlineData("price 5@3.50 each", "email")]
    [InlineData("use sk-learn-compatible-models here", "secret")]
    [InlineData("the task-1234567890123 failed", "secret")]
    [InlineData("DE89 3704 0044 0532 0130 0", "iban")]
    [InlineData("code QQ12ABCDEFGHIJKLMNOP", "iban")]
    [InlineData("ref GB82WEST12345698765432X", "iban")]
    [InlineData("card 4111 1111 1111 1112", "card")] // was detector
    [InlineData("order 1234567890123", "card")] // was detector
    [InlineData("order 1234567890123 is not a card (fails Luhn)", "card")] // was redactor
    [InlineData("ref 4111111111111112", "card")]
    [InlineData("version 1.2.3.4.5", "ip")]
    [InlineData("build v1.2.3.4", "ip")]
    [InlineData("host 01.2.3.4", "ip")]
    [InlineData("ref ID-123-45-6789", "ssn")]
    [InlineData("ratio 256.1.1.1", "ip")]
    [InlineData("meet at 10:30 on 2024-05-01", "phone")] // was detector
    [InlineData("version 1.2.3 of the app", "phone")] // was detector
    [InlineData("I have 3 cats and 12 dogs", "phone")] // was redactor
    [InlineData("version 2.0 released in 2024", "phone")] // was redactor
    [InlineData("from 1990-2024", "phone")]
    [InlineData("budget 1 250 000 EUR", "phone")]
    [InlineData("pi is 3.14159265", "phone")]
    [InlineData("invoice INV-2024-0001", "phone")]
    [InlineData("dated 01.05.2024", "phone")]
    [InlineData("steps 1 2 3 4 5 6 7 8", "phone")]
    [InlineData("short 555-013", "phone")]
    [InlineData("EMP-12345 has five digits", "employee_id")]
    public void Mask_LookAlikes_AreKept(string input, string kind)
    {
        Assert.Same(input, Detector.Mask(input));
        Assert.True(Detector.Detect(input).IsEmpty);
        Assert.False(Detector.ContainsAny(input, Detector.KindsOf([kind])));
        Assert.False(Detector.ContainsAny(input, Detector.All));
    }

    [Theory]
    [InlineData("ssn 666-12-3456", "ssn [phone]")]
    [InlineData("ssn 123-00-4567", "ssn [phone]")]
    [InlineData("ssn 900-12-3456", "ssn [phone]")]
    [InlineData("code 123-45-67890", "code [phone]")]
    [InlineData("IBAN GB82 WEST 1234 5698 7654 33", "IBAN GB82 WEST [phone]")] // was detector (not an IBAN)
    public void Mask_InvalidOfOneKind_MayBeAnother(string input, string expected)
    {
        // An SSN outside the issued ranges is still a formatted 9-digit number, i.e. a phone number; so is the
        // 14-digit tail of an IBAN whose check digits fail (both former pattern sets read it as a phone number too).
        Assert.Equal(expected, Detector.Mask(input));
        Assert.Equal(["phone"], Detector.Detect(input).ToList().Select(k => k.Name));
    }

    [Fact]
    public void Mask_SeveralKinds_EachGetsItsPlaceholderInPlace()
    {
        const string input = "Jane (jane@example.org, +44 20 7946 0958) paid 4111 1111 1111 1111 from 10.1.2.3; SSN 123-45-6789, IBAN GB82 WEST 1234 5698 7654 32, EMP-654321.";
        Assert.Equal("Jane ([email], [phone]) paid [card] from [ip]; SSN [ssn], IBAN [iban], [employee_id].", Detector.Mask(input));
        Assert.Equal(["employee_id", "email", "iban", "card", "ssn", "ip", "phone"], Detector.Detect(input).ToList().Select(k => k.Name));
    }

    [Fact]
    public void ContainsAny_OnlyTheListedKinds()
    {
        const string input = "mail jane@example.org";
        Assert.True(Detector.ContainsAny(input, Detector.KindsOf(["phone", "email"])));
        Assert.False(Detector.ContainsAny(input, Detector.KindsOf(["phone", "card", "employee_id"])));
        Assert.False(Detector.ContainsAny(input, Detector.KindsOf([])));
    }

    [Fact]
    public void ContainsAny_AKindClaimedByAnEarlierOne_IsNotReported()
    {
        // 123-45-6789 is a social security number; it is not also a phone number, in routing as in capture.
        Assert.False(Detector.ContainsAny("ssn 123-45-6789", Detector.KindsOf(["phone"])));
        Assert.True(Detector.ContainsAny("ssn 123-45-6789", Detector.KindsOf(["ssn"])));
    }

    [Fact]
    public void Kinds_CustomFirstThenBuiltInsInClaimOrder()
    {
        Assert.Equal(["employee_id", "email", "secret", "iban", "card", "ssn", "ip", "phone"], Detector.Kinds.Select(k => k.Name));
        Assert.Equal(Detector.Kinds.Count, Detector.All.ToList().Count);
        Assert.Same(PersonalDataDetector.Default, PersonalDataDetector.Default);
        Assert.Equal(PersonalDataKind.BuiltIn, PersonalDataDetector.Default.Kinds);
    }

    [Fact]
    public void KindsOf_UnknownName_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Detector.KindsOf(["email", "passport"]));
        Assert.Contains("'passport'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("email")]
    [InlineData("any")]
    [InlineData(" ")]
    public void Constructor_ReservedOrEmptyName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => new PersonalDataDetector([new(name, "x")]));
    }

    [Fact]
    public void Constructor_RepeatedName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new PersonalDataDetector([new("a", "x"), new("a", "y")]));
    }

    [Fact]
    public void Mask_CustomPatternMatchingNothingOrEmpty_KeepsText()
    {
        var detector = new PersonalDataDetector([new("blank", "x*")]);
        Assert.Equal("a [blank] b", detector.Mask("a xx b"));
        Assert.Equal("abc", detector.Mask("abc"));
        Assert.True(detector.Detect("abc").IsEmpty);
    }

    [Fact]
    public void TooSlowCustomPattern_CountsAsMatch_AndMasksItsStretch()
    {
        // Nested quantifiers over a long run of 'a' that fails at the end: exponential backtracking, far beyond
        // the 1 ms timeout given here (the product uses 250 ms).
        var detector = new PersonalDataDetector([new("slow", "(a|aa)+$")], TimeSpan.FromMilliseconds(1));
        var text = "mail jane@example.org then " + new string('a', 64) + "!";
        Assert.True(detector.ContainsAny(text, detector.KindsOf(["slow"])));
        Assert.Equal(["slow"], detector.Detect(text).ToList().Select(k => k.Name));
        Assert.Equal("[slow]", detector.Mask(text));

        // The custom kind comes first, so nothing is left for the e-mail address: routing and capture agree.
        Assert.False(detector.ContainsAny(text, detector.KindsOf(["email"])));
    }

    [Fact]
    public void Mask_ManyMatches_OutgrowTheStackBuffer()
    {
        var input = string.Join(" ", Enumerable.Range(0, 200).Select(i => $"u{i}@example.org"));
        var expected = string.Join(" ", Enumerable.Repeat("[email]", 200));
        Assert.Equal(expected, Detector.Mask(input));
    }

    [Fact]
    public void MaskJson_MasksStringsAsRoutingReadsThem_AndKeepsTheRest()
    {
        // "\n" right before the value: in the raw JSON the number follows the letter n, in the text a line break.
        var json = """[{"role":"user","content":"call\n555-0132 or mail\tjane@example.org \u00e9"},{"role":"assistant","content":"ok"}]"""u8;
        Assert.Equal("""[{"role":"user","content":"call\n[phone] or mail\t[email] é"},{"role":"assistant","content":"ok"}]""", Detector.MaskJson(json));
        Assert.Equal("""{"prompt":"nothing here"}""", Detector.MaskJson("""{"prompt":"nothing here"}"""u8));
        Assert.Equal("[email] {", Detector.MaskJson("jane@example.org {"u8));
    }
}
