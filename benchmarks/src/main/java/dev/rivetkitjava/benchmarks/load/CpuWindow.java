package dev.rivetkitjava.benchmarks.load;

import dev.rivetkitjava.benchmarks.Machine;

/**
 * Where CPU went during a measured window: the server side, the load tool, and the rest of the
 * machine (other engineers' builds share these cores, so their share is printed with every figure).
 */
final class CpuWindow {

    private final LoadTarget target;
    private final boolean separateServer;
    private final long wallStart;
    private final long serverStart;
    private final long ownStart;
    private final long machineStart;

    private CpuWindow(LoadTarget target) {
        this.target = target;
        this.separateServer = !(target instanceof LoadTarget.InProcess);
        this.wallStart = System.nanoTime();
        this.serverStart = target.cpuNanos();
        this.ownStart = LoadTarget.ownCpuNanos();
        this.machineStart = Machine.busyCpuNanos();
    }

    static CpuWindow start(LoadTarget target) {
        return new CpuWindow(target);
    }

    /**
     * CPU used over the window.
     *
     * @param serverNanos the server side's CPU time, -1 if unknown (or, in one JVM, not separable)
     * @param line e.g. "CPU in cores of 2: server 1.21, load tool 0.62, rest of the machine 0.05"
     */
    record Used(long serverNanos, String line) {}

    Used end() {
        double wall = System.nanoTime() - wallStart;
        long server = target.cpuNanos();
        long own = LoadTarget.ownCpuNanos();
        long machine = Machine.busyCpuNanos();
        int cores = Runtime.getRuntime().availableProcessors();
        StringBuilder line = new StringBuilder("CPU in cores of " + cores + ": ");
        double serverCores = server < 0 || serverStart < 0 ? -1 : (server - serverStart) / wall;
        double ownCores = (own - ownStart) / wall;
        double machineCores =
                machine < 0 || machineStart < 0 ? -1 : (machine - machineStart) / wall;
        if (!separateServer) {
            line.append(String.format("server + load tool %.2f", ownCores));
        } else {
            line.append(
                    serverCores < 0 ? "server unknown" : String.format("server %.2f", serverCores));
            line.append(String.format(", load tool %.2f", ownCores));
        }
        if (machineCores >= 0) {
            double others =
                    machineCores - ownCores - (separateServer ? Math.max(0, serverCores) : 0);
            line.append(String.format(", rest of the machine %.2f", Math.max(0, others)));
            if (separateServer && serverCores < 0) {
                line.append(" (includes the server)");
            }
        }
        return new Used(
                separateServer && serverCores >= 0 ? server - serverStart : -1, line.toString());
    }
}
