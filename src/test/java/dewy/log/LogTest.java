package dewy.log;

import static dewy.log.Log.Format.JSON;
import static dewy.log.Log.Format.TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogTest {
    @Test
    void textQuotesAMessageWithSpaces() {
        assertEquals("\"PID received signal\" pid=1 signal=SIGUSR1",
                Log.render(TEXT, "PID received signal", "pid", 1, "signal", "SIGUSR1"));
    }

    @Test
    void textLeavesASingleWordBare() {
        assertEquals("restarted generation=2 pid=42", Log.render(TEXT, "restarted", "generation", 2, "pid", 42));
        assertEquals("exiting", Log.render(TEXT, "exiting"));
    }

    @Test
    void textQuotesAndEscapesValues() {
        assertEquals("m command=\"java -jar app.jar\"", Log.render(TEXT, "m", "command", "java -jar app.jar"));
        assertEquals("m v=\"say \\\"hi\\\"\"", Log.render(TEXT, "m", "v", "say \"hi\""));
        assertEquals("m v=\"a=b\"", Log.render(TEXT, "m", "v", "a=b"));
        assertEquals("m v=\"line1\\nline2\"", Log.render(TEXT, "m", "v", "line1\nline2"));
        assertEquals("m v=\"tab\\there\"", Log.render(TEXT, "m", "v", "tab\there"));
        assertEquals("m v=\"C:\\\\dir\"", Log.render(TEXT, "m", "v", "C:\\dir"));
        assertEquals("m v=\"\\u0001\"", Log.render(TEXT, "m", "v", "\u0001"));
    }

    @Test
    void textEmptyValuesAreQuoted() {
        assertEquals("m v=\"\"", Log.render(TEXT, "m", "v", ""));
        assertEquals("\"\" v=x", Log.render(TEXT, "", "v", "x"));
    }

    @Test
    void textPlainValuesStayBare() {
        assertEquals("m path=/opt/app/bin/app status=\"exited with 0\" ok=true",
                Log.render(TEXT, "m", "path", "/opt/app/bin/app", "status", "exited with 0", "ok", true));
    }

    @Test
    void textNullValue() {
        assertEquals("m v=null", Log.render(TEXT, "m", "v", null));
    }

    @Test
    void textIgnoresATrailingKeyWithoutValue() {
        assertEquals("m a=1", Log.render(TEXT, "m", "a", 1, "dangling"));
    }

    @Test
    void jsonMembers() {
        assertEquals("\"msg\":\"PID received signal\",\"pid\":1,\"signal\":\"SIGUSR1\"",
                Log.render(JSON, "PID received signal", "pid", 1, "signal", "SIGUSR1"));
    }

    @Test
    void jsonWrappedIsAnObject() {
        assertEquals("{\"msg\":\"exiting\",\"status\":143}", "{" + Log.render(JSON, "exiting", "status", 143) + "}");
        assertEquals("{\"msg\":\"x\"}", "{" + Log.render(JSON, "x") + "}");
    }

    @Test
    void jsonNumbersAndBooleansAreBare() {
        assertEquals("\"msg\":\"m\",\"i\":-3,\"l\":9000000000,\"d\":1.5,\"t\":true,\"f\":false,\"s\":\"true\",\"n\":\"7\"",
                Log.render(JSON, "m", "i", -3, "l", 9_000_000_000L, "d", 1.5, "t", true, "f", false, "s", "true",
                        "n", "7"));
    }

    @Test
    void jsonQuotesNumbersThatJsonCannotHold() {
        assertEquals("\"msg\":\"m\",\"nan\":\"NaN\",\"inf\":\"Infinity\"",
                Log.render(JSON, "m", "nan", Double.NaN, "inf", Double.POSITIVE_INFINITY));
    }

    @Test
    void jsonEscapesQuotesBackslashesAndControlChars() {
        assertEquals("\"msg\":\"say \\\"hi\\\"\",\"p\":\"C:\\\\x\"", Log.render(JSON, "say \"hi\"", "p", "C:\\x"));
        assertEquals("\"msg\":\"a\\nb\\rc\\td\"", Log.render(JSON, "a\nb\rc\td"));
        assertEquals("\"msg\":\"\\u0000\\u0001\\u001b\\u001f \"", Log.render(JSON, "\u0000\u0001\u001b\u001f "));
    }

    @Test
    void jsonKeepsNonAsciiAndSpacesLiteral() {
        assertEquals("\"msg\":\"gr\u00fc\u00df a=b\",\"k\":\"\u00b5s\"", Log.render(JSON, "gr\u00fc\u00df a=b", "k", "\u00b5s"));
    }

    @Test
    void jsonEscapesKeysAndNull() {
        assertEquals("\"msg\":\"m\",\"we\\\"ird\":\"null\"",
                Log.render(JSON, "m", "we\"ird", null));
        assertEquals("\"msg\":\"m\",\"e\":\"\"", Log.render(JSON, "m", "e", ""));
    }
}
