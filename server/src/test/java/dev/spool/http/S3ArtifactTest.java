package dev.spool.http;

import dev.spool.testing.S3Proxy;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/** The same end-to-end artifact test, with the files in S3-compatible object storage (a real s3proxy). */
class S3ArtifactTest extends ArtifactTest {
    private S3Proxy s3;

    @Override
    protected Map<String, String> backend() {
        s3 = new S3Proxy(dir);
        return s3.settings();
    }

    @AfterAll
    void stopS3() {
        s3.close();
    }
}
