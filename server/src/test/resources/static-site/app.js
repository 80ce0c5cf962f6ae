console.log("static-site app");
