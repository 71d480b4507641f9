package dev.spool;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/**
 * The log format, {@code logging.format}: {@code text} leaves the configured Logback encoders as
 * they are (one line per event); {@code json} puts logstash-logback-encoder's on every console and
 * file appender, one JSON object per line with the MDC's fields ({@code request_id}, {@code
 * job_id}, {@code attempt}) at the top level.
 */
final class Logs {
    private Logs() {}

    static void use(String format) {
        if (!format.equals("json") || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        List<OutputStreamAppender<ILoggingEvent>> appenders = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out) {
                appenders.add(out);
            }
        }
        for (OutputStreamAppender<ILoggingEvent> out : appenders) {
            if (out.getEncoder() instanceof LogstashEncoder) {
                continue; // already JSON (a second server in one process)
            }
            LogstashEncoder json = new LogstashEncoder();
            json.setContext(context);
            json.setIncludeContext(false);
            json.start();
            out.stop();
            out.setEncoder(json);
            out.start();
        }
    }
}
