/// How wide a text will be drawn, estimated without a font: the server cannot measure glyphs,
/// and the drawings must size boxes and badges before a browser ever sees them.
///
/// The table is Verdana's advance widths (font units of 2048 per em) for printable ASCII, the
/// font shields.io badges size for; DejaVu Sans, Verdana's stand-in on Linux, is of about the same
/// width, and the sans-serif fonts pages use are narrower, so text estimated here fits.
/// Characters outside ASCII count as a wide Latin letter, East Asian wide ones as a full em.
enum TextWidth {
    private static let ascii: [UInt16] = [
        720, 823, 1038, 1876, 1423, 2431, 1627, 562, 1011, 1011, 1423, 1876, 658, 1011, 658, 1011, // space to /
        1423, 1423, 1423, 1423, 1423, 1423, 1423, 1423, 1423, 1423, 823, 823, 1876, 1876, 1876, 1223, // 0 to ?
        2043, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1539, 860, 1024, 1412, 1151, 1716, 1532, 1612, // @ to O
        1237, 1612, 1423, 1403, 1251, 1502, 1401, 2028, 1403, 1251, 1403, 1011, 1011, 1011, 1876, 1423, // P to _
        1423, 1233, 1276, 1108, 1276, 1219, 727, 1276, 1296, 562, 694, 1218, 562, 1993, 1296, 1243, // ` to o
        1276, 1276, 874, 1061, 807, 1296, 1218, 1665, 1218, 1218, 1075, 1300, 1011, 1300, 1876, // p to ~
    ]

    static func estimate(_ text: String, fontSize: Double) -> Double {
        text.reduce(0) { $0 + estimate($1, fontSize: fontSize) }
    }

    static func estimate(_ character: Character, fontSize: Double) -> Double {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let units: Double
        switch scalar.value {
        case 0x20...0x7E: units = Double(ascii[Int(scalar.value) - 0x20])
        case 0x00...0x1F, 0x7F...0x9F: units = 0
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD:
            units = 2048
        default: units = 1450
        }
        return units * fontSize / 2048
    }
}
