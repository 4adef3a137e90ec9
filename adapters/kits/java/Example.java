import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class Example {
    static String sign(byte[] secret, Object userId, String email) throws Exception { // S1-S5
        Object identifier = userId == null || "".equals(userId) ? email : userId;
        if (secret.length == 0) return "error:empty_secret";
        if (identifier == null || "".equals(identifier)) return "error:no_identifier";
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(identifier.toString().getBytes(StandardCharsets.UTF_8)));
    }

    public static void main(String[] args) throws Exception {
        IvconformKit.serve(args, new IvconformKit.Options("java-kit-example").sign(Example::sign));
    }
}
