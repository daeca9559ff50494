// Loads async-profiler into a running JVM with the attach API: java Attach.java PID LIBRARY OPTIONS. jcmd's
// JVMTI.agent_load cannot pass them, as it reads "start,event=alloc" as a named argument of its own.
import com.sun.tools.attach.VirtualMachine;

public class Attach {
  public static void main(String[] args) throws Exception {
    VirtualMachine vm = VirtualMachine.attach(args[0]);
    try {
      vm.loadAgentPath(args[1], args[2]);
    } finally {
      vm.detach();
    }
  }
}
