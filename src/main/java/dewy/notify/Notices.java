package dewy.notify;

/** Where dewy's parts report what happened: {@link Notifications} in dewy, a recorder in tests. */
public interface Notices {
    /** Never blocks, never throws. */
    void publish(Event e);

    /** Something worked (a check, a deploy): repeated-error rate limiting starts over. */
    void success();
}
